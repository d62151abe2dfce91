// A small SVG writer for line charts and published-vs-measured charts: plain text, no dependencies,
// rendered by GitHub from the markdown that links it.
import Foundation

public enum SVGPlot {
    public struct Series: Sendable {
        public var label: String
        public var points: [(x: Double, y: Double)]
        public init(label: String, points: [(x: Double, y: Double)]) {
            self.label = label
            self.points = points
        }
    }

    public struct Panel: Sendable {
        public var title: String
        public var series: [Series]
        public init(title: String, series: [Series]) {
            self.title = title
            self.series = series
        }
    }

    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]

    /// Side-by-side line charts; each series is one `<path class="series">`.
    public static func lines(title: String, xLabel: String, panels: [Panel]) -> String {
        let panelWidth = 360.0, height = 260.0, margin = (left: 50.0, right: 15.0, top: 40.0, bottom: 40.0)
        let width = panelWidth * Double(panels.count)
        var svg = header(width: width, height: height, title: title)
        for (index, panel) in panels.enumerated() {
            let x0 = Double(index) * panelWidth + margin.left, x1 = Double(index + 1) * panelWidth - margin.right
            let y0 = height - margin.bottom, y1 = margin.top
            let points = panel.series.flatMap(\.points)
            let xs = points.map(\.x), ys = points.map(\.y)
            let (xMin, xMax) = range(xs), (yMin, yMax) = range(ys)
            func px(_ x: Double) -> Double { x0 + (x - xMin) / (xMax - xMin) * (x1 - x0) }
            func py(_ y: Double) -> Double { y0 - (y - yMin) / (yMax - yMin) * (y0 - y1) }
            svg += "<g class=\"panel\">\n"
            svg += text(x: (x0 + x1) / 2, y: margin.top - 12, escape(panel.title), anchor: "middle", size: 13)
            svg += "<rect x=\"\(f(x0))\" y=\"\(f(y1))\" width=\"\(f(x1 - x0))\" height=\"\(f(y0 - y1))\" fill=\"none\" stroke=\"#999\"/>\n"
            for tick in 0...4 {
                let y = yMin + (yMax - yMin) * Double(tick) / 4
                svg += text(x: x0 - 6, y: py(y) + 4, label(y), anchor: "end", size: 10)
                let x = xMin + (xMax - xMin) * Double(tick) / 4
                svg += text(x: px(x), y: y0 + 14, label(x), anchor: "middle", size: 10)
            }
            svg += text(x: (x0 + x1) / 2, y: height - 8, escape(xLabel), anchor: "middle", size: 11)
            for (seriesIndex, series) in panel.series.enumerated() where !series.points.isEmpty {
                let color = colors[seriesIndex % colors.count]
                let d = series.points.enumerated().map { "\($0.offset == 0 ? "M" : "L")\(f(px($0.element.x))),\(f(py($0.element.y)))" }.joined(separator: " ")
                svg += "<path class=\"series\" d=\"\(d)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"><title>\(escape(series.label))</title></path>\n"
                svg += text(x: x1 - 4, y: y1 + 14 + 13 * Double(seriesIndex), escape(series.label), anchor: "end", size: 10, color: color)
            }
            svg += "</g>\n"
        }
        return svg + "</svg>\n"
    }

    /// One row per (entry, metric): a hollow marker at the published value, a filled one at the measured value.
    public static func comparison(title: String, rows: [(label: String, published: Double, measured: Double?)]) -> String {
        let rowHeight = 22.0, left = 330.0, right = 30.0, width = 760.0, top = 40.0
        let height = top + rowHeight * Double(max(rows.count, 1)) + 40
        let values = rows.flatMap { [$0.published] + ($0.measured.map { [$0] } ?? []) }
        let (low, high) = range(values + [0, 100])
        func px(_ v: Double) -> Double { left + (v - low) / (high - low) * (width - left - right) }
        var svg = header(width: width, height: height, title: title)
        for tick in stride(from: 0.0, through: 100.0, by: 20.0) {
            svg += "<line x1=\"\(f(px(tick)))\" y1=\"\(f(top - 6))\" x2=\"\(f(px(tick)))\" y2=\"\(f(height - 34))\" stroke=\"#ddd\"/>\n"
            svg += text(x: px(tick), y: height - 20, label(tick), anchor: "middle", size: 10)
        }
        for (index, row) in rows.enumerated() {
            let y = top + rowHeight * Double(index) + rowHeight / 2
            svg += text(x: left - 8, y: y + 4, escape(row.label), anchor: "end", size: 11)
            svg += "<circle class=\"published\" cx=\"\(f(px(row.published)))\" cy=\"\(f(y))\" r=\"5\" fill=\"none\" stroke=\"#444\" stroke-width=\"1.5\"/>\n"
            if let measured = row.measured {
                svg += "<circle class=\"measured\" cx=\"\(f(px(measured)))\" cy=\"\(f(y))\" r=\"4\" fill=\"#d62728\"/>\n"
            }
        }
        svg += text(x: width - right, y: height - 6, "○ published  ● measured (percent)", anchor: "end", size: 10)
        return svg + "</svg>\n"
    }

    static func header(width: Double, height: Double, title: String) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" font-family=\"sans-serif\">\n"
            + "<title>\(escape(title))</title>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
            + text(x: 8, y: 18, escape(title), anchor: "start", size: 14)
    }

    static func text(x: Double, y: Double, _ content: String, anchor: String, size: Int, color: String = "#222") -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\" font-size=\"\(size)\" fill=\"\(color)\">\(content)</text>\n"
    }

    static func range(_ values: [Double]) -> (Double, Double) {
        guard let low = values.min(), let high = values.max() else { return (0, 1) }
        if high - low < 1e-12 { return (low - 0.5, high + 0.5) }
        return (low, high)
    }

    static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    static func label(_ value: Double) -> String {
        abs(value) >= 10 || value == value.rounded() ? String(format: "%.0f", value) : String(format: "%.2f", value)
    }

    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
