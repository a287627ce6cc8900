#!/usr/bin/python3
"""confluent-kafka (Debian python3-confluent-kafka) against Tusk: a group of 3 consumers shares a 6-partition
topic; one is killed with SIGKILL mid-stream; the others take over its partitions; every message is consumed;
with the idempotent producer no message is duplicated in the log.
usage: confluent_group.py BOOTSTRAP TOPIC GROUP DIR          (driver)
       confluent_group.py consume BOOTSTRAP TOPIC GROUP FILE (one consumer)"""
import os, signal, subprocess, sys, time
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

MESSAGES = 600

def consume(bootstrap, topic, group, path):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': False,
                  'auto.offset.reset': 'earliest', 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500})
    c.subscribe([topic])
    with open(path, 'a') as out:
        while not stop:
            m = c.poll(0.2)
            if m is None or m.error():
                continue
            out.write(m.value().decode() + "\n")
            out.flush()
            c.commit(message=m, asynchronous=False)
    c.close()

def read_ids(paths):
    ids = []
    for p in paths:
        if os.path.exists(p):
            with open(p) as f:
                ids += [line.strip() for line in f if line.strip()]
    return ids

def driver(bootstrap, topic, group, workdir):
    admin = AdminClient({'bootstrap.servers': bootstrap})
    for f in admin.create_topics([NewTopic(topic, num_partitions=6, replication_factor=1)]).values():
        f.result(timeout=30)
    paths = [os.path.join(workdir, f"consumer{i}.txt") for i in range(3)]
    procs = [subprocess.Popen([sys.executable, __file__, "consume", bootstrap, topic, group, p]) for p in paths]
    time.sleep(3)
    producer = Producer({'bootstrap.servers': bootstrap, 'enable.idempotence': True, 'acks': 'all', 'linger.ms': 5})
    for i in range(MESSAGES):
        producer.produce(topic, key=f"k{i % 50}", value=f"m{i}")
        if i == MESSAGES // 3:
            producer.flush(30)
    assert producer.flush(60) == 0, "producer did not deliver everything"
    deadline = time.time() + 60
    while len(read_ids(paths)) < MESSAGES // 3 and time.time() < deadline:
        time.sleep(0.2)
    procs[0].send_signal(signal.SIGKILL)  # a consumer dies mid-stream without leaving the group
    procs[0].wait()
    expected = {f"m{i}" for i in range(MESSAGES)}
    deadline = time.time() + 90
    while not expected <= set(read_ids(paths)) and time.time() < deadline:
        time.sleep(0.5)
    for p in procs[1:]:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
    missing = expected - set(read_ids(paths))
    assert not missing, f"{len(missing)} messages never consumed, e.g. {sorted(missing)[:5]}"
    # No duplicates in the log: read every partition from the start without a group.
    reader = Consumer({'bootstrap.servers': bootstrap, 'group.id': group + "-audit", 'enable.auto.commit': False})
    reader.assign([TopicPartition(topic, p, 0) for p in range(6)])
    log, idle = [], 0
    while idle < 10:
        m = reader.poll(0.5)
        if m is None or m.error():
            idle += 1
            continue
        idle = 0
        log.append(m.value().decode())
    reader.close()
    assert len(log) == MESSAGES and set(log) == expected, f"log holds {len(log)} records, {len(set(log))} distinct, expected {MESSAGES}"
    survivors = [len(read_ids([p])) for p in paths[1:]]
    print(f"OK consumed={len(read_ids(paths))} log={len(log)} survivors={survivors}")

if __name__ == "__main__":
    if sys.argv[1] == "consume":
        consume(*sys.argv[2:6])
    else:
        driver(*sys.argv[1:5])
