// Loads every lua/<verbNoun>-<numberOfKeys>.lua as an ioredis command, with the key
// count taken from the file name, and declares each command's signature once. A script
// named <verbNoun>-n.lua takes a variable number of keys: its callers pass the count first.
// A line `--#include <name>` in a script is replaced by lua/lib/<name>.lua (the functions
// several scripts share: one family of steps, one copy of each move).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ClientContext, Redis, Result } from "ioredis";

/** The project root's lua/ folder, whether this runs from src/ or elsewhere. */
const LUA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../lua");

/** What a script returns: a named negative code, or a table for success. */
export type LuaReply = number | (string | number)[];

type ScriptCommand<Context extends ClientContext> = (
  ...keysThenArgs: (string | number)[]
) => Result<LuaReply, Context>;

declare module "ioredis" {
  interface RedisCommander<Context extends ClientContext = { type: "default" }> {
    joinQueue: ScriptCommand<Context>;
    reserveStock: ScriptCommand<Context>;
    finishPurchase: ScriptCommand<Context>;
    endSale: ScriptCommand<Context>;
    startSale: ScriptCommand<Context>;
    cancelPurchase: ScriptCommand<Context>;
    setTotal: ScriptCommand<Context>;
    setSaleStatus: ScriptCommand<Context>;
    takeStock: ScriptCommand<Context>;
    releaseTake: ScriptCommand<Context>;
    confirmTake: ScriptCommand<Context>;
    loadStock: ScriptCommand<Context>;
    closeStock: ScriptCommand<Context>;
    repairTakes: ScriptCommand<Context>;
    readHeld: ScriptCommand<Context>;
  }
}

export interface ScriptFile {
  name: string;
  /** Undefined for a -n script: the caller passes the key count first. */
  numberOfKeys: number | undefined;
  lua: string;
}

export function readScripts(dir = LUA_DIR): ScriptFile[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith(".lua"))
    .map((file) => {
      const match = /^([a-zA-Z]+)-(\d+|n)\.lua$/.exec(file);
      if (!match?.[1] || !match[2]) throw new Error(`lua/${file}: expected <verbNoun>-<numberOfKeys>.lua`);
      return {
        name: match[1],
        numberOfKeys: match[2] === "n" ? undefined : Number(match[2]),
        lua: withIncludes(readFileSync(path.join(dir, file), "utf8"), dir, file),
      };
    });
}

function withIncludes(lua: string, dir: string, file: string): string {
  return lua.replace(/^--#include ([a-z]+)$/gm, (_line, name: string) => {
    try {
      return readFileSync(path.join(dir, "lib", `${name}.lua`), "utf8");
    } catch {
      throw new Error(`lua/${file}: no lua/lib/${name}.lua to include`);
    }
  });
}

const cached = readScripts();

/** Defines every script on a client (idempotent per client). */
export function defineScripts(redis: Redis): Redis {
  for (const script of cached) {
    redis.defineCommand(
      script.name,
      script.numberOfKeys === undefined
        ? { lua: script.lua }
        : { numberOfKeys: script.numberOfKeys, lua: script.lua },
    );
  }
  return redis;
}
