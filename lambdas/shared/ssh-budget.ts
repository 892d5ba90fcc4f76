/**
 * The most time `ssh.commands` may take together (each up to `commandTimeoutSeconds`): they run in
 * one check-ssh (or probe) invocation, whose Lambda timeout (SSH_CHECK_TIMEOUT_SECONDS) leaves room for
 * the connection and the console besides. AWS would stop the function mid-command past it.
 */
export const SSH_COMMANDS_BUDGET_SECONDS = 600;
/** check-ssh's and the in-VPC probe's Lambda timeout: the commands' budget, plus two minutes. */
export const SSH_CHECK_TIMEOUT_SECONDS = SSH_COMMANDS_BUDGET_SECONDS + 120;
