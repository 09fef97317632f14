/**
 * A rolling time-series chart on uPlot: the last `windowSeconds` of points, one line per series.
 * Series may appear later (a new service, a new header value); uPlot is rebuilt then.
 */
import uPlot from 'uplot';
import { h } from './dom.js';

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];

export class RollingChart {
  readonly el: HTMLElement;
  readonly #times: number[] = [];
  readonly #series = new Map<string, (number | null)[]>();
  #plot: uPlot | null = null;
  #names: string[] = [];

  constructor(
    title: string,
    private readonly unit: string,
    private readonly windowSeconds = 120,
  ) {
    this.el = h('figure', { class: 'chart', role: 'img', 'aria-label': title }, h('figcaption', {}, title));
  }

  /** Adds a point per series at `time` (seconds); missing series get a gap. */
  push(time: number, values: Record<string, number>): void {
    this.#times.push(time);
    for (const name of Object.keys(values)) {
      if (!this.#series.has(name))
        this.#series.set(
          name,
          this.#times.slice(1).map(() => null),
        );
    }
    for (const [name, column] of this.#series) {
      const v = values[name];
      column.push(v === undefined || !Number.isFinite(v) ? null : v);
    }
    while (this.#times.length > this.windowSeconds) {
      this.#times.shift();
      for (const column of this.#series.values()) column.shift();
    }
    // For tests and curious people: how many samples the chart holds.
    this.el.setAttribute('data-points', String(this.#times.length));
    this.#draw();
  }

  #draw(): void {
    const names = [...this.#series.keys()];
    const data = [this.#times, ...names.map((n) => this.#series.get(n)!)] as uPlot.AlignedData;
    const width = Math.max(280, Math.min(900, this.el.clientWidth || document.body.clientWidth - 32));
    if (this.#plot === null || names.join('\u0000') !== this.#names.join('\u0000')) {
      this.#plot?.destroy();
      this.#names = names;
      this.#plot = new uPlot(
        {
          width,
          height: 180,
          scales: { x: { time: true } },
          axes: [{}, { label: this.unit, size: 60 }],
          series: [{}, ...names.map((n, i) => ({ label: n, stroke: PALETTE[i % PALETTE.length]!, width: 2 }))],
          legend: { live: false },
        },
        data,
        this.el,
      );
      return;
    }
    if (Math.abs(this.#plot.width - width) > 20) this.#plot.setSize({ width, height: 180 });
    this.#plot.setData(data);
  }
}
