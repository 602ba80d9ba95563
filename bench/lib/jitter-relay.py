# Jitter on the lab's LAN where the kernel has no sch_netem (bench/lab/soak.ts, issue 16 §2): run
# inside the LAN namespace, it joins pairs of interfaces — a member's port taken off the bridge and a
# veth whose other end is on the bridge — and copies every frame between them: towards the member
# after a delay drawn uniformly from [base - jitter, base + jitter] ms (as netem's `delay base jitter`
# on the port: once per frame, reordering included), towards the bridge at once. Frames it sent
# itself (PACKET_OUTGOING) are not copied back. The members' checksum offload must be off (a frame
# copied off a veth may carry a partial checksum). Args: base_ms jitter_ms port:relay [port:relay ...].
# Prints `ready` once every socket is bound; runs until killed — a port going down and up (a node's
# link cut and restored) is an error to count, not the relay's end. Counts go to stderr every 10 s.
import heapq, random, select, socket, sys, time

ETH_P_ALL = 3
PACKET_OUTGOING = 4
base, jitter = float(sys.argv[1]), float(sys.argv[2])
socks = {}
for pair in sys.argv[3:]:
    port, relay = pair.split(':')
    sp = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sp.bind((port, 0))
    sr = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sr.bind((relay, 0))
    socks[sp.fileno()] = (sp, sr, False)  # from the member: on to the bridge at once
    socks[sr.fileno()] = (sr, sp, True)   # from the bridge: to the member, delayed
print('ready', flush=True)
heap, seq, copied, failed, last = [], 0, 0, 0, time.monotonic()
while True:
    now = time.monotonic()
    while heap and heap[0][0] <= now:
        _, _, out, frame = heapq.heappop(heap)
        try:
            out.send(frame)
            copied += 1
        except OSError:
            failed += 1
    if now - last >= 10:
        print(f'copied {copied} failed {failed} waiting {len(heap)}', file=sys.stderr, flush=True)
        last = now
    ready, _, _ = select.select(list(socks), [], [], max(0.0, heap[0][0] - now) if heap else 1.0)
    for fd in ready:
        s, out, delayed = socks[fd]
        try:
            frame, addr = s.recvfrom(65536)
        except OSError:
            # the port went down (a node's link cut: ENETDOWN); the socket resumes once it is up
            failed += 1
            continue
        if addr[2] == PACKET_OUTGOING:
            continue
        if delayed:
            due = time.monotonic() + max(0.0, random.uniform(base - jitter, base + jitter)) / 1000
            heapq.heappush(heap, (due, seq, out, frame))
            seq += 1
        else:
            try:
                out.send(frame)
                copied += 1
            except OSError:
                failed += 1
