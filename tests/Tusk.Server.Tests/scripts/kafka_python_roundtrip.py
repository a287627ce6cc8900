#!/usr/bin/python3
"""kafka-python (Debian python3-kafka) against Tusk: keys, values and headers survive a round trip.
usage: kafka_python_roundtrip.py BOOTSTRAP TOPIC"""
import sys
from kafka import KafkaProducer, KafkaConsumer, TopicPartition

bootstrap, topic = sys.argv[1], sys.argv[2]
producer = KafkaProducer(bootstrap_servers=bootstrap, acks='all', retries=5)
for i in range(20):
    producer.send(topic, key=f"key-{i}".encode(), value=f"value-{i}".encode(),
                  headers=[("trace", f"t{i}".encode()), ("n", str(i).encode())])
producer.flush()
producer.close()

consumer = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset='earliest', enable_auto_commit=False,
                         consumer_timeout_ms=10000)
partition = TopicPartition(topic, 0)
consumer.assign([partition])
consumer.seek_to_beginning(partition)
seen = []
for message in consumer:
    seen.append(message)
    if len(seen) == 20:
        break
consumer.close()
assert len(seen) == 20, f"consumed {len(seen)} of 20 messages"
for i, m in enumerate(seen):
    assert m.offset == i, f"message {i} has offset {m.offset}"
    assert m.key == f"key-{i}".encode(), m.key
    assert m.value == f"value-{i}".encode(), m.value
    headers = dict(m.headers)
    assert headers == {"trace": f"t{i}".encode(), "n": str(i).encode()}, headers
print("OK 20")
