"""A local execution console for the pipeline's state machines: lists executions, draws the ASL definition as a
graph coloured by each state's status and shows every state's input, output, error, retries and polls.

It reads the Step Functions API (boto3: ListStateMachines, DescribeStateMachine, ListExecutions, DescribeExecution,
GetExecutionHistory) from moto's recorded runs of the offline stack, the local cloud tier or real AWS.
"""
