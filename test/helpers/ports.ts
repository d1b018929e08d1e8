export { freePort, waitFor } from '../../control/demo/ports.js'
