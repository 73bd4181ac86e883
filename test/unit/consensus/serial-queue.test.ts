import { describe, expect, it } from 'vitest'
import { SerialQueue } from '../../../node/chain/serial-queue.js'

describe('SerialQueue', () => {
  it('runs steps one at a time in order; a failing step reaches its caller only', async () => {
    const q = new SerialQueue()
    const seen: string[] = []
    const slow = q.run(async () => {
      await new Promise(r => setTimeout(r, 20))
      seen.push('slow')
      return 1
    })
    const failing = q.run(() => {
      seen.push('failing')
      throw new Error('boom')
    })
    const fast = q.run(() => {
      seen.push('fast')
      return 3
    })
    expect(await slow).toBe(1)
    await expect(failing).rejects.toThrow('boom')
    expect(await fast).toBe(3)
    expect(seen).toEqual(['slow', 'failing', 'fast'])
    let late = false
    q.run(async () => {
      await new Promise(r => setTimeout(r, 10))
      late = true
    })
    await q.idle()
    expect(late).toBe(true)
  })
})
