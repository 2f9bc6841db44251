"""CloudWatch on the local target: metrics as AWS stores and answers them (``metrics``), alarms
evaluated on the emulator's clock with their actions sent to SNS (``alarms``)."""
