export { UsageError, intFlag } from '../harness/errors.js'
