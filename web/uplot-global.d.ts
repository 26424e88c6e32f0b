import type UPlot from 'uplot'

declare global {
  /** uPlot's IIFE build (/uplot.min.js, loaded before the page's modules) defines this global. */
  var uPlot: typeof UPlot
}
