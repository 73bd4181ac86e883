/**
 * The web explorer in headless Chromium (Debian's `chromium`, driven by playwright-core), against
 * a 4-member devnet of separate processes: every page loads from a node other than the first with
 * no console error, heights advance on screen, a twin synced through the CLI shows its new
 * revision live, a tangle vertex attached through the API appears in the graph, the fault journal
 * shows what a tool recorded, and an FL round's accuracy appears while `diten fl run` runs.
 * What a viewer costs the node is measured by `npm run bench:explorer`, not here.
 * Screenshots of every page (laptop and phone) go to test-results/explorer/.
 */
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DitenClient } from '../../node/rpc/client.js'
import { randomBasePort, runCli, startCli, startDevnet, waitExit, type Devnet } from '../e2e/proc.js'
import { sleep } from '../helpers.js'

const CHROMIUM = process.env.DITEN_CHROMIUM ?? '/usr/bin/chromium'
const SHOTS = 'test-results/explorer'

let net: Devnet
let browser: Browser
let keys: string
const problems: string[] = []

async function open(url: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const page = await browser.newPage({ viewport })
  page.on('console', m => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${url}: console ${m.type()}: ${m.text()}`)
  })
  page.on('pageerror', e => problems.push(`${url}: ${e.message}`))
  await page.goto(url)
  return page
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set DITEN_CHROMIUM)`)
  await mkdir(SHOTS, { recursive: true })
  keys = await mkdtemp(join(tmpdir(), 'diten-explorer-keys-'))
  net = await startDevnet(['--nodes', '4', '--byzantine', 'node-3:lazy-tips'])
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await net?.stop()
  await rm(keys, { recursive: true, force: true })
})

describe('explorer', () => {
  it('is served with its assets, compressed, under a strict content security policy', async () => {
    const api = net.file.nodes[1]!.api
    const res = await fetch(`${api}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/html')
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'")
    const html = await res.text()
    const script = /src="\.?\/?(assets\/[^"]+\.js)"/.exec(html)?.[1]
    expect(script, html).toBeDefined()
    const js = await fetch(`${api}/${script}`, { headers: { 'accept-encoding': 'gzip' } })
    expect(js.status).toBe(200)
    expect(js.headers.get('cache-control')).toContain('immutable')
    // no page reaches outside its node: no CDN, no external URL in the bundle's requests
    expect(html).not.toMatch(/https?:\/\//)
    expect((await fetch(`${api}/assets/nothing.js`)).status).toBe(404)
    expect((await fetch(`${api}/../package.json`)).status).toBe(404)
  })

  it('every page loads from node-2 with no console error; heights advance on screen', async () => {
    const api = net.file.nodes[2]!.api
    const page = await open(`${api}/#/`)
    const heads = page.getByTestId('heads')
    await expect.poll(async () => (await heads.textContent()) ?? '', { timeout: 15_000 }).toMatch(/heights \d+/)
    const first = Number(/heights (\d+)/.exec((await heads.textContent())!)![1])
    await expect
      .poll(async () => Number(/heights (\d+)/.exec((await heads.textContent()) ?? '')?.[1] ?? 0), { timeout: 15_000 })
      .toBeGreaterThan(first + 1)
    await page.getByText('node-3').first().waitFor()
    await expect.poll(async () => page.getByTestId('readiness').textContent(), { timeout: 15_000 }).toContain('ready')
    await shot(page, 'network')
    const pages: [string, string][] = [
      ['chain', 'Shard 0'],
      ['block/0/2', 'Block 0@2'],
      ['tangle', 'Tangle'],
      ['fl', 'Federated learning'],
      ['twins', 'Find a twin'],
      ['faults', 'Fault injection'],
    ]
    for (const [route, title] of pages) {
      await page.goto(`${api}/#/${route}`)
      await page.getByRole('heading', { name: title }).first().waitFor({ timeout: 15_000 })
      await sleep(700)
      await shot(page, route.replace(/\//g, '-'))
    }
    // the block page names its certificate's signers
    await page.goto(`${api}/#/block/0/2`)
    await expect.poll(async () => page.getByTestId('signers').textContent(), { timeout: 10_000 }).toMatch(/signatures .*node-/)
    // a phone screen: the same pages, nothing cut off sideways at the page level
    const phone = await open(`${api}/#/`, { width: 390, height: 844 })
    await phone.getByText('node-3').first().waitFor()
    await shot(phone, 'network-phone')
    const scroll = await phone.evaluate<number>('document.documentElement.scrollWidth')
    expect(scroll).toBeLessThanOrEqual(390)
    await phone.goto(`${api}/#/chain`)
    await phone.getByRole('heading', { name: 'Shard 0' }).waitFor()
    await shot(phone, 'chain-phone')
    await phone.close()
    await page.close()
    expect(problems).toEqual([])
  })

  it('a twin synced through the CLI shows its new revision within seconds, without a reload', async () => {
    const [n0, n1, n3] = [net.file.nodes[0]!, net.file.nodes[1]!, net.file.nodes[3]!]
    const reg = await runCli(
      [
        'twin',
        'register',
        'site:pump-7',
        '--wait',
        '--api',
        n0.api,
        '--admin',
        n0.admin,
        '--token-file',
        n0.adminTokenFile,
        '--keys',
        keys,
      ],
      60_000,
    )
    expect(reg.code, reg.output).toBe(0)
    const page = await open(`${n3.api}/#/twin/site:pump-7`)
    await expect.poll(async () => page.getByTestId('twin-revision').textContent(), { timeout: 15_000 }).toBe('1')
    const list = await open(`${n1.api}/#/twins`)
    await list.getByText('stream open').waitFor({ timeout: 10_000 })
    const t0 = Date.now()
    const sync = await runCli(
      ['twin', 'sync', 'site:pump-7', '--patch', '{"state":{"properties":{"temp":21.5}}}', '--api', n0.api, '--keys', keys],
      30_000,
    )
    expect(sync.code, sync.output).toBe(0)
    await expect.poll(async () => page.getByTestId('twin-revision').textContent(), { timeout: 10_000, interval: 100 }).toBe('2')
    const seenMs = Date.now() - t0
    await page.getByText('features.state.properties.temp').waitFor({ timeout: 5000 })
    // the live feed of the twins page has it too
    await list.getByRole('link', { name: 'site:pump-7' }).first().waitFor({ timeout: 5000 })
    console.log(`[explorer] a twin sync sent through the CLI showed revision 2 on node-3's explorer ${seenMs} ms after the call started`)
    await shot(page, 'twin')
    await list.close()
    await page.close()
    expect(problems).toEqual([])
  })

  it('a tangle vertex attached through the API appears in the graph', async () => {
    const n0 = net.file.nodes[0]!
    const admin = await DitenClient.admin(n0.admin, n0.adminTokenFile)
    const page = await open(`${net.file.nodes[1]!.api}/#/tangle`)
    const graph = page.getByTestId('tangle-graph')
    await graph.waitFor()
    const before = Number(await graph.getAttribute('data-vertices'))
    const attached: string[] = []
    for (let i = 0; i < 6; i++) {
      const r = await admin.call<{ id: string }>('tangle_attach', {
        round: 1,
        trainer: `trainer-${i}`,
        modelHash: (i + 1).toString(16).padStart(64, '0'),
        dataSize: 100,
        claimedAccuracyBp: 9000,
      })
      attached.push(r.id)
    }
    await expect.poll(async () => Number(await graph.getAttribute('data-vertices')), { timeout: 10_000 }).toBe(before + 6)
    // the newest one is listed with its state (a tip) under the graph
    await page
      .getByText(`${attached[5]!.slice(0, 10)}…`)
      .first()
      .waitFor({ timeout: 5000 })
    await shot(page, 'tangle')
    await page.close()
    expect(problems).toEqual([])
  })

  it('the Faults page shows the misbehaving node, a recorded fault on the timeline and an invariant verdict', async () => {
    const n0 = net.file.nodes[0]!
    const admin = await DitenClient.admin(n0.admin, n0.adminTokenFile)
    await admin.call('chaos_record', { kind: 'fault', name: 'pause', node: 'node-2', detail: 'for 2 s' })
    await sleep(2500)
    await admin.call('chaos_record', { kind: 'fault-end', name: 'pause', node: 'node-2' })
    await admin.call('chaos_record', { kind: 'invariant', name: 'safety', ok: true, detail: 'held' })
    // a hostile record is refused with a reason and changes nothing
    const bad = await admin.call('chaos_record', { kind: 'fault', name: 'x'.repeat(65) }).catch((e: Error) => e)
    expect(String(bad)).toMatch(/name/)
    const page = await open(`${n0.api}/#/faults`)
    await page.getByRole('cell', { name: 'lazy-tips' }).waitFor({ timeout: 10_000 })
    await page.getByRole('cell', { name: 'pause' }).waitFor({ timeout: 10_000 })
    await page.getByRole('cell', { name: 'safety' }).waitFor()
    await page.getByTestId('faults-chart').waitFor()
    await sleep(1000)
    await shot(page, 'faults')
    await page.close()
    expect(problems).toEqual([])
  })
})

describe('explorer during diten fl run', () => {
  it("shows round 1's accuracy while the run goes on", async () => {
    const out = await mkdtemp(join(tmpdir(), 'diten-explorer-fl-'))
    const base = randomBasePort()
    const run = startCli([
      'fl',
      'run',
      '--nodes',
      '4',
      '--trainers',
      '4',
      '--rounds',
      '3',
      '--limit',
      '2000',
      '--local-epochs',
      '1',
      '--no-baselines',
      '--out',
      out,
      '--base-port',
      String(base),
    ])
    try {
      const api = `http://127.0.0.1:${base + 5}` // node-1's public API
      const client = new DitenClient(api, { timeoutMs: 2000 })
      for (
        const until = Date.now() + 90_000;
        !(await client.status().then(
          () => true,
          () => false,
        ));
      ) {
        if (Date.now() > until || run.child.exitCode !== null) throw new Error(`node-1 of the fl run did not answer:\n${run.output()}`)
        await sleep(500)
      }
      const page = await open(`${api}/#/fl`)
      await expect
        .poll(
          async () =>
            (await page
              .getByTestId('fl-acc-1')
              .textContent()
              .catch(() => null)) ?? '',
          { timeout: 200_000, interval: 1000 },
        )
        .toMatch(/^\d+\.\d+ %$/)
      const acc = await page.getByTestId('fl-acc-1').textContent()
      await page.getByTestId('fl-chart').waitFor()
      await shot(page, 'fl')
      console.log(`[explorer] round 1 of the fl run showed validation accuracy ${acc} on node-1's explorer`)
      await page.close()
      expect(problems).toEqual([])
    } finally {
      run.child.kill('SIGINT')
      await waitExit(run, 30_000).catch(() => run.child.kill('SIGKILL'))
      await rm(out, { recursive: true, force: true })
    }
  }, 300_000)
})
