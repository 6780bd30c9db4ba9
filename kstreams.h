// Everything a kstreams application includes.
#pragma once

#include "runtime/kafka_streams.h"
#include "runtime/shutdown_signal.h"
#include "runtime/streams_config.h"
#include "runtime/topology_test_driver.h"
#include "streams/fixed_key_processor.h"
#include "streams/json_serde.h"
#include "streams/processor.h"
#include "streams/serde.h"
#include "streams/streams_builder.h"
#include "streams/topology.h"
#include "streams/versioned_key_value_store.h"
#include "runtime/admin.h"
#include "runtime/kafka_producer.h"
#include "runtime/topic_reader.h"
#include "runtime/logging.h"
