#ifndef SANDPIT_CLI_COMMANDS_H
#define SANDPIT_CLI_COMMANDS_H

/* The subcommands of `sandpit`. Each takes the arguments after its own name and returns the
 * process exit status: 0 success, 1 failure of the work itself, 2 bad usage. */

int sp_cmd_envs(int argc, char** argv);
int sp_cmd_rollout(int argc, char** argv);
int sp_cmd_replay(int argc, char** argv);
int sp_cmd_serve(int argc, char** argv);
int sp_cmd_keygen(int argc, char** argv);
int sp_cmd_scene(int argc, char** argv);

#endif
