#!/usr/bin/python3
"""Creates a topic with configs through the Kafka admin API (confluent-kafka).
usage: create_topic.py BOOTSTRAP TOPIC PARTITIONS [name=value ...]"""
import sys
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap, topic, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3])
configs = dict(arg.split("=", 1) for arg in sys.argv[4:])
admin = AdminClient({'bootstrap.servers': bootstrap})
for f in admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1, config=configs)]).values():
    f.result(timeout=30)
print("created", topic)
