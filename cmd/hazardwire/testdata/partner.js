// A partner endpoint that verifies every delivery with the public
// `standardwebhooks` npm package, as a partner following docs/partners.md
// would. It prints "listening <port>", then one line per request:
// "verified <webhook-id>" or "rejected <webhook-id> <reason>".
const http = require("http");
const { Webhook } = require("standardwebhooks");

const wh = new Webhook(process.env.HAZARDWIRE_SECRET);
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    try {
      const payload = wh.verify(body, req.headers);
      console.log(`verified ${req.headers["webhook-id"]} ${payload.change} v${payload.version}`);
      res.writeHead(204).end();
    } catch (e) {
      console.log(`rejected ${req.headers["webhook-id"]} ${e.message}`);
      res.writeHead(401).end();
    }
  });
});
server.listen(0, "127.0.0.1", () => console.log(`listening ${server.address().port}`));
