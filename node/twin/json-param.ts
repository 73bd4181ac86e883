/** The RPC parameter type of a JSON document (definitions, attributes, features, patches). */
import { ErrorCode, SchemaError, type Type } from '../../ledger/index.js'
import { depthOf, isObject, type Json } from '../../twin/json.js'

/** any JSON object at most 32 deep (API input only; the contract checks it against the definition) */
export const jsonDoc: Type<Json> = {
  desc: 'a JSON object',
  check: (v, path) => {
    if (!isObject(v)) throw new SchemaError(ErrorCode.SCHEMA_TYPE, path, 'expected a JSON object')
    if (depthOf(v, 32) > 32) throw new SchemaError(ErrorCode.SCHEMA_INVALID, path, 'nested deeper than 32 levels')
    return v
  },
  toWire: v => v,
  fromWire: (v, path) => jsonDoc.check(v, path),
}
