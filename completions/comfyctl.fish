# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_comfyctl_global_optspecs
    string join \n profile= url= q/quiet v/verbose color= h/help V/version
end

function __fish_comfyctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_comfyctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_comfyctl_using_subcommand
    set -l cmd (__fish_comfyctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c comfyctl -n "__fish_comfyctl_needs_command" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE]' -r
complete -c comfyctl -n "__fish_comfyctl_needs_command" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL]' -r
complete -c comfyctl -n "__fish_comfyctl_needs_command" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_needs_command" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -f -a "run" -d 'Run an API-format workflow, follow it, and save its outputs'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -f -a "config" -d 'Show the resolved settings or where the config file lives'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l set -d 'Set an input: NODE.input=VALUE (typed like the current value; NODE is an id or a unique title)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l set-json -d 'Set an input to a JSON value: NODE.input=JSON' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -s o -l output-dir -d 'Where to save outputs [env: COMFYCTL_OUTPUT_DIR] [default: ./outputs]' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l timeout -d 'Give up after this many seconds in total [env: COMFYCTL_TIMEOUT]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l idle-timeout -d 'Give up when the server sends nothing for this many seconds' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l force-literal -d 'Allow --set to replace an input that is linked to another node'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l print-prompt -d 'Print the final prompt JSON and exit without contacting the server'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l flat-output -d 'Save files directly in the output dir, ignoring server subfolders'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l overwrite -d 'Replace existing files instead of saving as name-1.ext'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l no-download -d 'Do not download; print each output\'s /view URL on stdout'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l allow-partial -d 'Exit 0 even when the server dropped outputs that failed validation'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l json -d 'Print one JSON object with the result on stdout'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l jsonl -d 'Print every event as a JSON line on stdout, the result last'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l no-progress -d 'No progress bars, even on a terminal'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and not __fish_seen_subcommand_from show path help" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and not __fish_seen_subcommand_from show path help" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and not __fish_seen_subcommand_from show path help" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and not __fish_seen_subcommand_from show path help" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and not __fish_seen_subcommand_from show path help" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and not __fish_seen_subcommand_from show path help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and not __fish_seen_subcommand_from show path help" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and not __fish_seen_subcommand_from show path help" -f -a "show" -d 'Print the resolved settings (secrets redacted) and where each came from'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and not __fish_seen_subcommand_from show path help" -f -a "path" -d 'Print the config file path'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and not __fish_seen_subcommand_from show path help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from show" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from show" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from show" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from show" -l json -d 'Print JSON'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from path" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from path" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from path" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from path" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from path" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from path" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the resolved settings (secrets redacted) and where each came from'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print the config file path'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand completions" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand completions" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand completions" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand completions" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand completions" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and not __fish_seen_subcommand_from run config completions help" -f -a "run" -d 'Run an API-format workflow, follow it, and save its outputs'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and not __fish_seen_subcommand_from run config completions help" -f -a "config" -d 'Show the resolved settings or where the config file lives'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and not __fish_seen_subcommand_from run config completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and not __fish_seen_subcommand_from run config completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Print the resolved settings (secrets redacted) and where each came from'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "path" -d 'Print the config file path'
