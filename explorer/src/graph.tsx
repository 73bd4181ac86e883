/**
 * The tangle drawn with Cytoscape.js; layout by dagre (cytoscape-dagre), left (old) to right
 * (new), approvals pointing back to the approved. The graph is kept between reads: new vertices
 * are added, changed states restyled, and the layout re-run only when vertices arrive.
 */
import cytoscape, { type Core } from 'cytoscape'
import dagre from 'cytoscape-dagre'
import { useEffect, useRef } from 'preact/hooks'
import type { TangleVertex } from './types'

cytoscape.use(dagre)

export type VertexState = 'tip' | 'confirmed' | 'pending' | 'orphaned' | 'invalid' | 'unsolid'

export function stateOf(v: TangleVertex): VertexState {
  if (!v.solid) return 'unsolid'
  if (!v.valid) return 'invalid'
  if (v.orphaned) return 'orphaned'
  if (v.confirmed) return 'confirmed'
  if (v.tip) return 'tip'
  return 'pending'
}

/** each state has its own shape and fill as well as its colour (readable without colour) */
const STYLE: cytoscape.StylesheetJson = [
  {
    selector: 'node',
    style: { width: 18, height: 18, 'border-width': 2, 'border-color': '#333', 'background-color': '#fff', label: '' },
  },
  { selector: 'node.confirmed', style: { shape: 'ellipse', 'background-color': '#2e7d32', 'border-color': '#1b5e20' } },
  { selector: 'node.pending', style: { shape: 'ellipse', 'background-color': '#fff', 'border-color': '#1565c0' } },
  { selector: 'node.tip', style: { shape: 'diamond', width: 24, height: 24, 'background-color': '#ce93d8', 'border-color': '#4a148c' } },
  {
    selector: 'node.orphaned',
    style: { shape: 'triangle', 'background-color': '#bdbdbd', 'border-color': '#616161', 'border-style': 'dashed' },
  },
  { selector: 'node.invalid', style: { shape: 'star', width: 24, height: 24, 'background-color': '#c62828', 'border-color': '#7f0000' } },
  { selector: 'node.unsolid', style: { shape: 'round-rectangle', 'background-color': '#eee', 'border-style': 'dotted' } },
  { selector: 'node.fresh', style: { 'border-width': 4 } },
  { selector: 'node:selected', style: { 'overlay-opacity': 0.25, 'overlay-color': '#000' } },
  {
    selector: 'edge',
    style: {
      width: 1.2,
      'line-color': '#9e9e9e',
      'target-arrow-shape': 'triangle',
      'target-arrow-color': '#9e9e9e',
      'curve-style': 'bezier',
      'arrow-scale': 0.7,
    },
  },
]

/** Fits the graph when it is small; else shows the newest end (right) at a readable zoom. */
function follow(c: Core): void {
  c.fit(undefined, 16)
  // a few vertices: not blown up past a normal size
  if (c.zoom() > 1.2) {
    c.zoom(1.2)
    c.center()
  }
  if (c.zoom() >= 0.8) return
  const bb = c.elements().boundingBox()
  c.zoom(0.8)
  c.pan({ x: c.width() - 24 - bb.x2 * 0.8, y: c.height() / 2 - ((bb.y1 + bb.y2) / 2) * 0.8 })
}

export function TangleGraph({ vertices, onPick }: { vertices: TangleVertex[]; onPick: (v: TangleVertex | undefined) => void }) {
  const box = useRef<HTMLDivElement>(null)
  const cy = useRef<Core | undefined>(undefined)
  const pick = useRef(onPick)
  pick.current = onPick
  /** the viewer moved or zoomed the graph: stop following the newest vertices */
  const moved = useRef(false)

  useEffect(() => {
    const c = cytoscape({
      container: box.current,
      style: STYLE,
      minZoom: 0.2,
      maxZoom: 3,
      boxSelectionEnabled: false,
    })
    c.on('mouseover tap', 'node', e => pick.current(e.target.data('v') as TangleVertex))
    c.on('tap', e => e.target === c && pick.current(undefined))
    c.on('scrollzoom pinchzoom', () => {
      moved.current = true
    })
    c.on('tapstart', e => {
      if (e.target === c) moved.current = true
    })
    cy.current = c
    return () => c.destroy()
  }, [])

  useEffect(() => {
    const c = cy.current
    if (!c) return
    const ids = new Set(vertices.map(v => v.id))
    let added = 0
    c.batch(() => {
      c.nodes().forEach(n => {
        if (!ids.has(n.id())) n.remove()
      })
      c.nodes('.fresh').removeClass('fresh')
      for (const v of vertices) {
        const cls = stateOf(v)
        const n = c.getElementById(v.id)
        if (n.empty()) {
          c.add({ group: 'nodes', data: { id: v.id, v }, classes: `${cls} fresh` })
          added++
        } else {
          n.data('v', v)
          n.classes(cls)
        }
      }
      for (const v of vertices)
        for (const p of new Set([v.trunk, v.branch])) {
          const eid = `${v.id}>${p}`
          if (ids.has(p) && c.getElementById(eid).empty()) c.add({ group: 'edges', data: { id: eid, source: v.id, target: p } })
        }
    })
    if (added) {
      c.layout({ name: 'dagre', rankDir: 'RL', nodeSep: 14, rankSep: 36, animate: false, fit: false } as cytoscape.LayoutOptions).run()
      if (!moved.current) follow(c)
    }
  }, [vertices])

  return (
    <div class="graph-box">
      <button
        type="button"
        class="follow"
        onClick={() => {
          moved.current = false
          if (cy.current) follow(cy.current)
        }}
      >
        Follow the newest
      </button>
      <div
        class="graph"
        ref={box}
        data-testid="tangle-graph"
        data-vertices={vertices.length}
        role="img"
        aria-label="the recent tangle as a graph"
      />
    </div>
  )
}
