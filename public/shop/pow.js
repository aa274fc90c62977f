// The join's proof-of-work (an event may ask one, see src/admission/pow.ts): fetch the
// event's puzzle, solve it in a Web Worker (public/shop/pow.worker.js) so the page stays
// responsive, and hand back what the join body must carry. An event without a puzzle
// (difficulty 0) costs one small request. The last solve is noted on <html data-pow> for
// the curious (and the browser test): "solved <difficulty> bits in <ms> ms".
import { api } from "../lib/api.js";
import { paths } from "../lib/contract.js";

/**
 * What to add to the join body: `{}` or `{pow: {challenge, nonce}}`.
 * @param {string} eventId
 * @returns {Promise<{pow?: {challenge: string, nonce: string}}>}
 */
export async function proofOfWork(eventId) {
  const { data } = await api(paths.challenge(eventId));
  if (!data || !(data.difficulty > 0)) return {};
  const started = performance.now();
  document.documentElement.dataset.pow = "solving";
  const nonce = await solveInWorker(data.challenge, data.difficulty);
  document.documentElement.dataset.pow = `solved ${data.difficulty} bits in ${Math.round(performance.now() - started)} ms`;
  return { pow: { challenge: data.challenge, nonce } };
}

function solveInWorker(challenge, difficulty) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./pow.worker.js", import.meta.url));
    worker.onmessage = (message) => {
      worker.terminate();
      resolve(message.data.nonce);
    };
    worker.onerror = (err) => {
      worker.terminate();
      reject(err);
    };
    worker.postMessage({ challenge, difficulty });
  });
}
