"""AWS CloudFormation on the local target: stacks made as CloudFormation makes them.

- ``api``: the actions (create, update, delete, change sets, events, resources), in moto's
  CloudFormation, as AWS answers them; loaded on the first CloudFormation request.
- ``templates``: a template read (JSON or YAML), its format checked, its parameters resolved.
- ``transforms``: ``AWS::Serverless-2016-10-31`` (SAM) applied with ``aws-sam-translator``.
- ``intrinsics``: ``Ref``, ``Fn::GetAtt``, ``Fn::Sub`` and the other functions; conditions.
- ``schemas``: what the CloudFormation registry says of each type (from ``cfn-lint``'s data).
- ``provisioning``: resources made in dependency order, with events, rollback and clean-up.
- ``change_sets``: what executing a change set would change (``DescribeChangeSet``'s
  ``Changes``).
- ``stacks``: the records of stacks, their resources, events and change sets.
- ``services``: the clients resources are made with (the emulator calling its own API).
- ``handlers``: one module per service, each type's create, update and delete.
"""
