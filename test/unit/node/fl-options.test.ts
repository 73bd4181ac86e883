/** `diten fl run`'s attack flags: which members a share of malicious trainers switches, and the refusals. */
import { describe, expect, it } from 'vitest'
import { maliciousMembers, parseFlRun } from '../../../node/harness/fl-options.js'

describe('fl run --attack --malicious-trainers', () => {
  it('switches whole members from the last one down until their trainers reach the share', () => {
    // 10 trainers on 4 members host 3/3/2/2 (trainer j on member j mod 4)
    expect(maliciousMembers(10, 4, 0.2)).toEqual([3])
    expect(maliciousMembers(10, 4, 0.4)).toEqual([2, 3])
    expect(maliciousMembers(10, 5, 0.2)).toEqual([4])
    expect(maliciousMembers(10, 5, 0.4)).toEqual([3, 4])
    // at least one member, even for a tiny share
    expect(maliciousMembers(100, 4, 0.001)).toEqual([3])
  })

  it('maps onto --byzantine and genesis defences; refuses unknown attacks, shares and defences', () => {
    const o = parseFlRun(
      ['--attack', 'alie', '--malicious-trainers', '0.4', '--byzantine', 'node-0:lazy-tips', '--defences', 'clip,cluster'],
      () => {},
    )
    expect(o.byzantine).toBe('node-0:lazy-tips,node-2:alie,node-3:alie')
    expect(o.defences).toEqual(['clip', 'cluster'])
    expect(() => parseFlRun(['--attack', 'nope'], () => {})).toThrow(/--attack must be one of/)
    expect(() => parseFlRun(['--attack', 'alie', '--malicious-trainers', '1'], () => {})).toThrow(/share in \(0, 1\)/)
    expect(() => parseFlRun(['--malicious-trainers', '0.2'], () => {})).toThrow(/needs --attack/)
    expect(() => parseFlRun(['--defences', 'clip,krum'], () => {})).toThrow(/unknown defence "krum"/)
    expect(() => parseFlRun(['--defences', 'clip,clip'], () => {})).toThrow(/listed twice/)
    expect(() => parseFlRun(['--baselines', 'some'], () => {})).toThrow(/--baselines must be/)
  })
})
