#!/usr/bin/python3
"""Produces with acks=all and prints "ack <value> <partition> <offset>" for every acknowledged message, flushing
stdout at once, until killed or COUNT messages are acknowledged. usage: acked_producer.py BOOTSTRAP TOPIC COUNT"""
import sys
from confluent_kafka import Producer

bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
producer = Producer({'bootstrap.servers': bootstrap, 'acks': 'all', 'linger.ms': 1,
                     'message.timeout.ms': 5000, 'retries': 0})
acked = [0]

def delivered(err, msg):
    if err is None:
        acked[0] += 1
        print(f"ack {msg.value().decode()} {msg.partition()} {msg.offset()}", flush=True)

i = 0
while acked[0] < count:
    producer.produce(topic, value=f"m{i}", partition=0, on_delivery=delivered)
    i += 1
    producer.poll(0)
    if i % 20 == 0:
        producer.flush(5)
producer.flush(10)
