/** Line charts with uPlot: rounds on x, one or more series; series are told apart by dash and point shape as well as colour. */
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { useEffect, useRef } from 'preact/hooks'

export interface Series {
  label: string
  values: (number | null)[]
  color: string
  dash?: number[]
  /** which y axis: 'y' (left) or 'y2' (right) */
  scale?: 'y' | 'y2'
  /** a missing value bridges its neighbours instead of breaking the line */
  gaps?: boolean
}

/** a shaded x range with its label (a fault's span on the Faults timeline) */
export interface Band {
  from: number
  to: number
  label: string
}

/** Draws bands under the series: hatched, labelled, so they read without colour. */
function bandsPlugin(bands: Band[]): uPlot.Plugin {
  return {
    hooks: {
      drawAxes: [
        u => {
          const ctx = u.ctx
          const { top, height } = u.bbox
          ctx.save()
          bands.forEach((b, i) => {
            const x0 = u.valToPos(b.from, 'x', true)
            const x1 = Math.max(x0 + 2, u.valToPos(b.to, 'x', true))
            ctx.fillStyle = 'rgba(198, 40, 40, 0.12)'
            ctx.fillRect(x0, top, x1 - x0, height)
            ctx.strokeStyle = 'rgba(198, 40, 40, 0.45)'
            ctx.setLineDash([4, 4])
            ctx.strokeRect(x0, top, x1 - x0, height)
            ctx.setLineDash([])
            ctx.fillStyle = 'rgba(120, 20, 20, 0.95)'
            ctx.font = `${11 * devicePixelRatio}px sans-serif`
            // the label starts at the band, or ends at it when the band is near the right edge
            const w = ctx.measureText(b.label).width
            const x = x0 + 3 + w > u.bbox.left + u.bbox.width ? Math.max(u.bbox.left, x1 - 3 - w) : x0 + 3
            ctx.fillText(b.label, x, top + (14 + 14 * (i % 4)) * devicePixelRatio)
          })
          ctx.restore()
        },
      ],
    },
  }
}

export function LineChart({
  x,
  series,
  xLabel,
  yLabel,
  y2Label,
  testid,
  bands,
  integerX,
  yClamp,
}: {
  x: number[]
  series: Series[]
  xLabel: string
  yLabel: string
  y2Label?: string
  testid?: string
  bands?: Band[]
  /** x values are whole numbers (rounds): ticks on integers only */
  integerX?: boolean
  /** y range clamp (accuracy in %: [0, 100]) */
  yClamp?: [number, number]
}) {
  const box = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const el = box.current
    if (!el) return
    const width = Math.max(280, el.clientWidth)
    const opts: uPlot.Options = {
      plugins: bands?.length ? [bandsPlugin(bands)] : [],
      width,
      height: 240,
      scales: {
        x: {
          time: false,
          ...(integerX ? { range: (_u, min, max) => [Math.min(min, max - 1) - 0.5, max + 0.5] as uPlot.Range.MinMax } : {}),
        },
        y: yClamp
          ? {
              range: (_u, min, max) =>
                [Math.max(yClamp[0], Math.floor(min - 5)), Math.min(yClamp[1], Math.ceil(max + 2))] as uPlot.Range.MinMax,
            }
          : { auto: true },
        ...(y2Label ? { y2: { auto: true } } : {}),
      },
      axes: [
        {
          label: xLabel,
          stroke: 'currentColor',
          grid: { stroke: '#8884' },
          ...(integerX
            ? { incrs: [1, 2, 5, 10, 20, 50, 100], values: (_u: uPlot, v: number[]) => v.map(x => (Number.isInteger(x) ? String(x) : '')) }
            : {}),
        },
        { label: yLabel, stroke: 'currentColor', grid: { stroke: '#8884' } },
        ...(y2Label ? [{ label: y2Label, scale: 'y2', side: 1 as const, stroke: 'currentColor', grid: { show: false } }] : []),
      ],
      series: [
        { label: xLabel },
        ...series.map(s => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          scale: s.scale ?? 'y',
          ...(s.dash ? { dash: s.dash } : {}),
          points: { show: true, size: 7 },
          ...(s.gaps ? { spanGaps: true } : {}),
        })),
      ],
    }
    const plot = new uPlot(opts, [x, ...series.map(s => s.values)] as uPlot.AlignedData, el)
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height: 240 }))
    resize.observe(el)
    return () => {
      resize.disconnect()
      plot.destroy()
    }
  }, [JSON.stringify([x, series, bands, integerX, yClamp])])
  return <div class="chart" ref={box} data-testid={testid} data-points={x.length} />
}
