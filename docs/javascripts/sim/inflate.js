// A helper of bridge.js, started beside the simulation worker: fetches the build's memory
// snapshot of Pyodide under its integrity hash and gunzips it (30-50 MB: about 0.1-0.2 s) on a
// thread of its own, while the simulation worker starts and imports Pyodide's scripts, and
// sends the bytes straight to the simulation worker through the port it was given
// (transferred, not copied).
// Message in: {url, integrity, port}; out, to the page: {sent: true} or {error}; on the port:
// {bytes} (an ArrayBuffer).
self.onmessage = async (event) => {
  const { url, integrity, port } = event.data;
  try {
    const response = await fetch(url, { integrity });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const bytes = await new Response(response.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
    port.postMessage({ bytes }, [bytes]);
    self.postMessage({ sent: true });
    self.close();
  } catch (err) {
    self.postMessage({ error: String(err && err.message ? err.message : err) });
  }
};
