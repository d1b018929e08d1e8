export { freePort, waitFor } from '../../platform/ports.js'
