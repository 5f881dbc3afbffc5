import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { until } from '../helpers/until.js'
import { SECRETS, fetchToken, tokenGatewayYaml } from '../helpers/tokens.js'
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js'

const SERVER = 2
const TRACE_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1'
const TRACE_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2'

/** Which receiver got the request span of `trace`: each span is exported once, by the tracer that made it. */
async function exportedTo (receivers: OtlpReceiver[], trace: string): Promise<{ receiver: OtlpReceiver, span: ReceivedSpan }> {
  const find = (): { receiver: OtlpReceiver, span: ReceivedSpan } | undefined => {
    for (const receiver of receivers) {
      const span = receiver.spans.find(s => s.traceId === trace && s.kind === SERVER)
      if (span !== undefined) return { receiver, span }
    }
    return undefined
  }
  await until(`the request span of trace ${trace}`, () => find() !== undefined)
  return find() as { receiver: OtlpReceiver, span: ReceivedSpan }
}

t.test('two gateways in one process share nothing: own secret-check counts, own span collector, own ephemeral signing key', async t => {
  const upstream = await startEcho(t)
  const receivers = [await startOtlpReceiver(t), await startOtlpReceiver(t)]
  // No tokens.signingKeys: each gateway signs its client tokens with an ephemeral key.
  const yaml = async (receiver: OtlpReceiver, service: string): Promise<string> =>
    (await tokenGatewayYaml({ upstream })).replace('  signingKeys: keys.json\n', '') +
    `telemetry:\n  otlp: { endpoint: "${receiver.url}", serviceName: ${service}, exportInterval: 100ms }\n`
  const a = await startTestGateway(t, await yaml(receivers[0] as OtlpReceiver, 'gateway-a'))
  const b = await startTestGateway(t, await yaml(receivers[1] as OtlpReceiver, 'gateway-b'))

  const tokenA = await fetchToken(a.url, 'android', SECRETS.android)
  const tokenB = await fetchToken(b.url, 'android', SECRETS.android)
  t.same([a.gateway.secretSlots.runs, b.gateway.secretSlots.runs], [1, 1], 'each counts the one secret check it ran, not the other\'s')
  const sent = async (url: string, token: string, trace: string): Promise<number> =>
    (await call(`${url}/api/orders/1`, { headers: { 'x-client-token': token, traceparent: `00-${trace}-00f067aa0ba902b7-01` } })).status
  t.equal(await sent(a.url, tokenA, TRACE_A), 200, 'gateway A takes its own token')
  t.equal(await sent(b.url, tokenB, TRACE_B), 200, 'gateway B takes its own token')

  const spanA = await exportedTo(receivers, TRACE_A)
  t.equal(spanA.receiver, receivers[0], 'gateway A\'s request span went to A\'s collector')
  t.equal(spanA.span.resource['service.name'], 'gateway-a', 'exported by A\'s tracer')
  const spanB = await exportedTo(receivers, TRACE_B)
  t.equal(spanB.receiver, receivers[1], 'gateway B\'s request span went to B\'s collector')
  t.equal(spanB.span.resource['service.name'], 'gateway-b', 'exported by B\'s tracer')

  const status = async (url: string, token: string): Promise<number> => (await call(`${url}/api/orders/1`, { headers: { 'x-client-token': token } })).status
  t.equal(await status(b.url, tokenA), 401, 'gateway B refuses a token signed by A\'s ephemeral key')
  t.equal(await status(a.url, tokenB), 401, 'and A refuses B\'s')
  const jwks = async (url: string): Promise<string> => JSON.stringify((await call(`${url}/.well-known/jwks.json`)).json<{ keys: unknown[] }>().keys)
  t.not(await jwks(a.url), await jwks(b.url), 'each publishes its own key')
})
