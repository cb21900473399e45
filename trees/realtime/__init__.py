"""The live path: everything between a websocket and the action layer, in one package.

- `consumer.py`: the websocket consumer (thin): it reads and answers the protocol's messages;
  writes go to the batcher (and the actions), reads to `reads.py`, ordering to `sequencer.py`,
  limits to `ratelimit.py`.
- `sequencer.py`: pure (no Django): what a socket forwards, holds or repairs, strictly in seq
  order; tested without a server (tests/ws/test_sequencer.py).
- `batcher.py`: group commit of the websocket ops of one process.
- `dbthread.py`: the database thread the live path runs its ORM work in (`DbThread`; the
  board has a second one, so its reads never queue ahead of a live edit).
- `fanout.py`: committed ops to this process's sockets and, with Redis, to other processes
  (`bus.py`, Redis publish/subscribe). Every committed op, written over REST or over a
  websocket, takes this path.
- `broadcast.py`: the entry points for code that commits outside the event loop (REST views,
  actions): ops to the fan-out; access changes and review decisions to the channel layer.
- `reads.py`: catch-up and access reads for sockets.
- `ratelimit.py`: token buckets, per socket and per user.

Importing this package imports nothing else, so its pure modules stay usable without Django.
"""
