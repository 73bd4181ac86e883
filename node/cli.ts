#!/usr/bin/env node
/** The `diten` command. */
import './polyfill.js'
import { DitenError, ErrorCode, describeError } from '../ledger/index.js'
import { UsageError } from './cli/errors.js'
import { VERSION } from './version.js'

const USAGE = `diten ${VERSION}: a permissioned blockchain node for Digital Twin Edge Networks

usage: diten <command> [options]

commands:
  init      create member keys, genesis.json and node configs
  node      run one peer:                 diten node --config <file>
  devnet    run a local multi-node network: diten devnet --nodes 4
  status    show a devnet's nodes:         diten status [--devnet .devnet]
  version   print the version

run "diten <command> --help" for a command's options`

const CONFIG_ERRORS = new Set<string>([ErrorCode.CONFIG_INVALID, ErrorCode.GENESIS_INVALID, ErrorCode.KEYFILE_INVALID, ErrorCode.NOT_A_MEMBER, ErrorCode.DB_MISMATCH])

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv
  const wantsHelp = rest.includes('--help') || rest.includes('-h')
  switch (cmd) {
    case 'init': {
      const m = await import('./cli/init.js')
      if (wantsHelp) return help(m.initHelp)
      return m.runInit(rest)
    }
    case 'node': {
      const m = await import('./cli/run-node.js')
      if (wantsHelp) return help(m.nodeHelp)
      return m.runNode(rest)
    }
    case 'devnet': {
      const m = await import('./cli/devnet.js')
      if (wantsHelp) return help(m.devnetHelp)
      return m.runDevnet(rest)
    }
    case 'status': {
      const m = await import('./cli/status.js')
      if (wantsHelp) return help(m.statusHelp)
      return m.runStatus(rest)
    }
    case 'version':
    case '--version':
      console.log(VERSION)
      return 0
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return help(USAGE)
    default:
      throw new UsageError(`unknown command "${cmd}"\n\n${USAGE}`)
  }
}

function help(text: string): number {
  console.log(text)
  return 0
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
    // libp2p and timers may keep handles alive after a clean stop; the work is done
    setTimeout(() => process.exit(code), 500).unref()
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}`)
      process.exit(2)
    }
    if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`error: ${(e as Error).message}`)
      process.exit(2)
    }
    if (e instanceof DitenError) {
      console.error(`error: ${describeError(e)}`)
      process.exit(CONFIG_ERRORS.has(e.code) ? 2 : 1)
    }
    console.error(e)
    process.exit(1)
  },
)
