// The live state's frames, read the same way by every page that follows a session
// (orchestrator/conduct/live.py): {"type":"snapshot","seq","state"} first, then
// {"type":"patch","seq","base","ops"} whose ops are [path, value] sets and [path] deletes.
// A patch onto a state this page does not hold asks the server for the whole state once
// ({"type":"resync"}); until its snapshot comes, patches are ignored.
(function () {
  "use strict";

  function applyOps(state, ops) {
    ops.forEach(function (op) {
      var path = op[0], node = state;
      if (!path.length) { state = op[1]; return; }
      for (var i = 0; i < path.length - 1; i++) { node = node[path[i]]; }
      if (op.length === 1) { delete node[path[path.length - 1]]; } else { node[path[path.length - 1]] = op[1]; }
    });
    return state;
  }

  // ws.onmessage = radaLiveFrames(ws, function (state, seq) { ... }): render is called with
  // each whole state the frames make, and its journal sequence number.
  window.radaLiveFrames = function (ws, render) {
    var held = null, seq = -1, asked = false;
    return function (message) {
      var msg = JSON.parse(message.data);
      if (msg.seq <= seq) { return; }  // two sends can cross
      if (msg.type === "snapshot") {
        held = msg.state; asked = false;
      } else if (msg.type === "patch" && msg.base === seq && held !== null && !asked) {
        held = applyOps(held, msg.ops);
      } else {
        if (!asked && ws.readyState === 1) { asked = true; ws.send(JSON.stringify({ type: "resync" })); }
        return;
      }
      seq = msg.seq;
      render(held, seq);
    };
  };
})();
