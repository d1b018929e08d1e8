/** Entry of the admin page. */
import { render } from 'preact'
import { App } from './app.js'
import { initAuth } from './auth.js'
import './styles.css'

initAuth()
render(<App />, document.getElementById('app') as HTMLElement)
