// socket.io as its users write it: `join` a room, and a `msg` goes to the others
// in it with socket.to(room).emit. WebSocket transport only (no long-polling).
const { createServer } = require("http");
const { Server } = require("socket.io");

const port = Number(process.env.PORT || 8082);
const http = createServer();
const io = new Server(http, { transports: ["websocket"], serveClient: false });
io.on("connection", (socket) => {
  let room = null;
  socket.on("join", (name) => {
    room = String(name);
    socket.join(room);
    socket.emit("joined", room);
  });
  socket.on("msg", (text) => {
    if (room !== null) socket.to(room).emit("msg", text);
  });
});
http.listen(port, "127.0.0.1", () => console.log(`socket.io listening on ${port}`));
