// The packed .d.ts files, type-checked the way a TypeScript user compiles against them (module nodenext).
import {
  type CapillaryPromiseClient,
  createCapillaryClient,
  InvalidCredentials,
  TokenBroker
} from "@capauth/node"
import { type Simulator, startSimulator } from "@capauth/testkit"

export const start = async (): Promise<[Simulator, CapillaryPromiseClient]> => {
  const sim = await startSimulator({ port: 0 })
  return [sim, createCapillaryClient({ baseUrl: sim.url, credentials: { key: "k", secret: "s" } })]
}
export const isBadCredentials = (e: unknown): boolean => e instanceof InvalidCredentials
export const broker = (client: CapillaryPromiseClient) => TokenBroker.make({ client, authorize: () => true })
