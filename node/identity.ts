/**
 * One ed25519 key per member: it signs ledger messages and is the libp2p identity, so a
 * member's peer id follows from the public key in genesis.
 */
import { privateKeyFromRaw, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { concatBytes, fromHex, type Keypair } from '../ledger/index.js'

export function libp2pPrivateKey(kp: Keypair): PrivateKey {
  return privateKeyFromRaw(concatBytes(kp.secretKey, kp.publicKey))
}

export function peerIdOfPublicKey(publicKey: Uint8Array | string): PeerId {
  return peerIdFromPublicKey(publicKeyFromRaw(typeof publicKey === 'string' ? fromHex(publicKey) : publicKey))
}
