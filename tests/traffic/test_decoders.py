"""What every protocol decoder owes the rest of the pipeline."""

from __future__ import annotations


def test_every_decoder_maps_its_operations_to_the_vocabulary_classes():
    from zonewarden.analysis.policy import classify as op_class
    from zonewarden.model.vocabulary import OP_CLASSES as CLASSES
    from zonewarden.traffic.decoders import DECODERS, OP_CLASSES

    assert set(OP_CLASSES) == set(DECODERS)
    for app, mapping in OP_CLASSES.items():
        assert mapping, f"{app} declares no OP_CLASSES"
        assert set(mapping.values()) <= set(CLASSES), app
    assert (op_class("modbus", "fc16"), op_class("s7comm", "plc_stop"), op_class("dnp3", "fc13"),
            op_class("opcua", "write"), op_class("modbus", "exception"), op_class(None, "fc3")) == (
        "write", "control", "control", "write", None, None)
