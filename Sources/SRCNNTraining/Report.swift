// The training report: the CSV log and the SVG training curve, drawn from a run's (or a checkpoint's) history.
import Foundation

public enum TrainingReport {
    public static func csv(_ state: TrainState) -> String {
        var s = "epoch,step,loss_mse,val_psnr_db,val_bicubic_psnr_db,patches_per_s,elapsed_s\n"
        for r in state.history {
            s += "\(r.epoch),\(r.step),\(String(format: "%.8f", r.loss)),\(r.valPSNR.map { String(format: "%.4f", $0) } ?? ""),"
            s += "\(state.bicubicPSNR.map { String(format: "%.4f", $0) } ?? ""),\(String(format: "%.1f", r.patchesPerSecond)),\(String(format: "%.1f", r.seconds))\n"
        }
        return s
    }

    /// Loss (left axis, log scale) and val PSNR (right axis) per epoch, drawn by hand.
    public static func svg(_ state: TrainState, title: String) -> String {
        let W = 720.0, H = 400.0, l = 70.0, r = 70.0, t = 40.0, b = 50.0
        let pw = W - l - r, ph = H - t - b
        let h = state.history
        let n = max(1, h.count)
        func x(_ e: Int) -> Double { l + (n == 1 ? pw / 2 : pw * Double(e - 1) / Double(n - 1)) }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(W))\" height=\"\(Int(H))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(W / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">\(title): training loss and validation PSNR</text>\n"
        out += "<rect x=\"\(l)\" y=\"\(t)\" width=\"\(pw)\" height=\"\(ph)\" fill=\"none\" stroke=\"#888\"/>\n"
        out += "<text x=\"\(l + pw / 2)\" y=\"\(H - 12)\" text-anchor=\"middle\">epoch (1-\(h.count))</text>\n"
        func poly(_ pts: [(Double, Double)], _ colour: String) -> String {
            guard !pts.isEmpty else { return "" }
            let p = pts.map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " ")
            var s = "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(p)\"/>\n"
            if pts.count == 1 { s += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"/>\n", pts[0].0, pts[0].1, colour) }
            return s
        }
        let losses = h.map(\.loss).filter { $0 > 0 }
        if let lo = losses.min(), let hi = losses.max() {
            let a = log10(lo), z = max(log10(hi), a + 1e-6)
            func y(_ v: Double) -> Double { t + ph * (1 - (log10(v) - a) / (z - a)) }
            out += poly(h.filter { $0.loss > 0 }.map { (x($0.epoch), y($0.loss)) }, "#c0392b")
            out += String(format: "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\" fill=\"#c0392b\">%.2e</text>\n", l - 4, t + 4, hi)
            out += String(format: "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\" fill=\"#c0392b\">%.2e</text>\n", l - 4, t + ph, lo)
            out += "<text x=\"14\" y=\"\(t + ph / 2)\" fill=\"#c0392b\" transform=\"rotate(-90 14 \(t + ph / 2))\" text-anchor=\"middle\">loss (MSE, log)</text>\n"
        }
        let ps = h.compactMap { r in r.valPSNR.map { (r.epoch, $0) } }
        if !ps.isEmpty {
            var lo = ps.map(\.1).min()!, hi = ps.map(\.1).max()!
            if let bic = state.bicubicPSNR { lo = min(lo, bic); hi = max(hi, bic) }
            if hi - lo < 0.1 { hi += 0.05; lo -= 0.05 }
            func y(_ v: Double) -> Double { t + ph * (1 - (v - lo) / (hi - lo)) }
            out += poly(ps.map { (x($0.0), y($0.1)) }, "#2471a3")
            if let bic = state.bicubicPSNR {
                out += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#2471a3\" stroke-dasharray=\"4 4\"/>\n", l, l + pw, y(bic), y(bic))
                out += String(format: "<text x=\"%.0f\" y=\"%.0f\" fill=\"#2471a3\">bicubic</text>\n", l + 4, y(bic) - 4)
            }
            out += String(format: "<text x=\"%.0f\" y=\"%.0f\" fill=\"#2471a3\">%.2f</text>\n", l + pw + 4, t + 4, hi)
            out += String(format: "<text x=\"%.0f\" y=\"%.0f\" fill=\"#2471a3\">%.2f</text>\n", l + pw + 4, t + ph, lo)
            out += "<text x=\"\(W - 14)\" y=\"\(t + ph / 2)\" fill=\"#2471a3\" transform=\"rotate(90 \(W - 14) \(t + ph / 2))\" text-anchor=\"middle\">val PSNR (dB)</text>\n"
        }
        out += "</svg>\n"
        return out
    }
}
