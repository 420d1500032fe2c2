// Preloaded into the Agents Playground (node -r): it calls server.listen(port) without a host, which
// binds every interface. RootMail runs it with authentication off, so force loopback unless a host is given.
const net = require("net");
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" && (args.length === 1 || typeof args[1] === "function")) {
    args.splice(1, 0, "127.0.0.1");
  }
  return listen.apply(this, args);
};
