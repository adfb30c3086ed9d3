import { API_SCRIPT } from './script-api.ts'
import { BOARD_SCRIPT } from './script-board.ts'
import { HEALTH_SCRIPT } from './script-health.ts'
import { RENDER_SCRIPT } from './script-render.ts'

/** The status page's script: its parts in one strict function scope, so nothing leaks into the page's globals. */
export const PAGE_SCRIPT = `'use strict'\n;(() => {\n${HEALTH_SCRIPT}\n${API_SCRIPT}\n${RENDER_SCRIPT}\n${BOARD_SCRIPT}\n})()\n`
