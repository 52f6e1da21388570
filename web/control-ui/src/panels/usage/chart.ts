// A bar chart of one value per day, in SVG drawn with attributes only (the page's CSP
// forbids style attributes; colors come from the panel's classes). The viewBox is one
// unit per day horizontally and 100 vertically, stretched to the width: labels are
// HTML around it so they are not stretched too.
import { css, html, svg } from "lit";

export interface Bar {
  label: string;   // the day, YYYY-MM-DD
  value: number;
  title: string;   // the bar's tooltip (what the day holds, as text)
}

export const chartStyles = css`
  .chart { border-bottom: 1px solid var(--border); }
  .chart svg { display: block; width: 100%; }
  .chart rect.bar { fill: var(--accent); }
  .chart rect.bar:hover { fill: var(--ok); }
  .chart rect.zero { fill: var(--border); }
  .chart-axis { display: flex; justify-content: space-between; font-size: 12px; color: var(--muted); gap: 8px; }
`;

export function renderBarChart(bars: Bar[], fmt: (v: number) => string, caption: string) {
  const max = Math.max(0, ...bars.map((b) => b.value));
  const unit = 10;
  const w = Math.max(1, bars.length) * unit;
  return html`<figure class="chart-figure">
    <div class="chart-axis"><span>${caption}</span><span>max ${fmt(max)}</span></div>
    <div class="chart">
      <svg viewBox="0 0 ${w} 100" height="160" preserveAspectRatio="none" role="img" aria-label=${caption}
        data-testid="usage-chart">
        ${bars.map((b, i) => {
          const h = max > 0 ? (b.value / max) * 98 : 0;
          return h > 0
            ? svg`<rect class="bar" x=${i * unit + 1} y=${100 - h} width=${unit - 2} height=${h}><title>${b.title}</title></rect>`
            : svg`<rect class="zero" x=${i * unit + 1} y="99" width=${unit - 2} height="1"><title>${b.title}</title></rect>`;
        })}
      </svg>
    </div>
    <div class="chart-axis"><span>${bars[0]?.label ?? ""}</span><span>${bars[bars.length - 1]?.label ?? ""}</span></div>
  </figure>`;
}
