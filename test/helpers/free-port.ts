export { freePort } from '../../services/gateway/test/helpers/free-port.ts'
