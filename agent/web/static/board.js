// The board refreshes itself from /api/links (no reload); triage runs from a button and shows its verdict.
"use strict";
(function () {
  const table = document.getElementById("board");
  if (!table) return;
  const every = Number(table.dataset.refresh || 5) * 1000;
  const mbit = (v) => ((v || 0) / 1e6).toFixed(2);
  const SVG = "http://www.w3.org/2000/svg";
  // the last hour's utilization (5-minute rollups, 0..1) as a small line, drawn with DOM calls (no inline style)
  function spark(holder, points) {
    holder.replaceChildren();
    if (!points.length) return;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 60 16");
    svg.setAttribute("width", "60");
    svg.setAttribute("height", "16");
    svg.setAttribute("role", "img");
    const line = document.createElementNS(SVG, "polyline");
    const step = points.length > 1 ? 60 / (points.length - 1) : 0;
    line.setAttribute("points", points.map((p, i) => `${(i * step).toFixed(1)},${(15 - Math.min(p, 1) * 14).toFixed(1)}`).join(" "));
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", "#1565c0");
    line.setAttribute("stroke-width", "1.5");
    svg.appendChild(line);
    holder.appendChild(svg);
  }
  for (const holder of table.querySelectorAll(".spark")) {
    spark(holder, (holder.dataset.points || "").split(",").filter((x) => x).map(Number));
  }
  function render(data) {
    const cause = document.getElementById("cause");
    cause.hidden = !data.cause;
    cause.dataset.cause = data.cause || "";
    cause.textContent = data.banner || "";
    for (const r of data.links) {
      const row = table.querySelector(`tr[data-link="${CSS.escape(r.link)}"]`);
      if (!row) continue;
      row.className = "state-" + r.state;
      row.querySelector(".state .badge").textContent = r.state_text;
      row.querySelector(".state .note").textContent = r.note || "";
      row.querySelector(".since").textContent = r.since_local || "—";
      spark(row.querySelector(".spark"), r.spark || []);
      row.querySelector(".rates .now").textContent = `${mbit(r.in_bps)} / ${mbit(r.out_bps)} `;
      const loss = r.loss === null ? "—" : `${Math.round(r.loss * 100)} %`;
      const rtt = r.rtt_ms === null ? "—" : `${r.rtt_ms.toFixed(1)} ms`;
      row.querySelector(".loss").textContent = `${loss} / ${rtt}`;
      row.querySelector(".tickets").textContent = r.open_tickets || "";
    }
    // the agency's time, as the server writes it (not the browser's locale and zone)
    document.getElementById("updated").textContent = data.updated_local || "—";
  }
  async function refresh() {
    try {
      const response = await fetch("/api/links", { credentials: "same-origin" });
      if (response.status === 401) { window.location = "/login"; return; }
      if (response.ok) render(await response.json());
    } catch (e) { /* the agent restarting: try again at the next refresh */ }
  }
  setInterval(refresh, every);
  refresh();
  for (const button of table.querySelectorAll("button.triage")) {
    button.addEventListener("click", async () => {
      const out = document.getElementById("triage-text");
      document.getElementById("triage-result").hidden = false;
      out.textContent = table.dataset.triaging.replace("{opd}", button.dataset.opd);
      const body = new URLSearchParams({ csrf: table.dataset.csrf });
      const response = await fetch("/triage/" + encodeURIComponent(button.dataset.opd), { method: "POST", body, credentials: "same-origin" });
      if (!response.ok) { out.textContent = await response.text(); return; }
      // one JSON line per probe as it finishes, then the diagnosis
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      const lines = [out.textContent];
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n")) >= 0) {
          const item = JSON.parse(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 1);
          if (item.probe) lines.push(`… ${item.probe}: ${item.detail}`);
          if (item.error) lines.push(item.error);
          if (item.diagnosis) {
            const d = item.diagnosis;
            lines.push("", `${d.opd}: ${d.verdict} (${d.duration_seconds} s)`, d.summary, "",
              ...d.evidence.map((e) => `${e.ok === false ? "✗" : e.ok ? "✓" : "•"} ${e.check}: ${e.detail}`), "", d.next_step);
            out.dataset.verdict = d.verdict;
          }
          out.textContent = lines.join("\n");
        }
      }
    });
  }
})();
