# One image for every dropqueue process: docker-compose.yml runs it as the migrations, the API and
# the worker. There is no build step: tsx runs the TypeScript sources as they are.
FROM node:20-bookworm-slim

WORKDIR /app

# Dependencies first, so editing a source file does not reinstall them. The Prisma schema and config
# come along because `npm ci` runs `prisma generate` (postinstall). Dev dependencies are kept: the
# Prisma CLI, which `npm run db:migrate` uses, is one.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci && npm cache clean --force

COPY . .

# Set after `npm ci`, which would otherwise skip the dev dependencies. In production the processes
# refuse to start without ADMIN_TOKEN and TOKEN_SECRET.
ENV NODE_ENV=production PORT=3000
USER node
EXPOSE 3000
CMD ["npm", "run", "api"]
