// A helper of bridge.js, started beside the simulation worker: fetches the build's memory
// snapshot of Pyodide under its integrity hash and gunzips it (24 MB: about 0.1 s) on a thread
// of its own, while the simulation worker starts and imports Pyodide's scripts. The page hands
// the bytes on to the simulation worker (transferred, not copied).
// Message in: {url, integrity}; out: {bytes} (an ArrayBuffer, transferred) or {error}.
self.onmessage = async (event) => {
  const { url, integrity } = event.data;
  try {
    const response = await fetch(url, { integrity });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const bytes = await new Response(response.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
    self.postMessage({ bytes }, [bytes]);
  } catch (err) {
    self.postMessage({ error: String(err && err.message ? err.message : err) });
  }
};
