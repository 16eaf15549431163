using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Bpftime.Diagnostics;

namespace Bpftime.Tool.Commands;

/// <summary>
/// The one place command-line mistakes become diagnostics: each is one canonical line with
/// BPF4186 and exit code 2, whether System.CommandLine found it or an option's validator did.
/// </summary>
internal static class UsageErrors
{
    /// <summary>
    /// A validator that reads its value throws when the value did not convert (--repeat abc); the
    /// parser reports that conversion itself, so such a validator has nothing to add and is skipped.
    /// Wrapping every validator of the tree here spares each option from guarding itself.
    /// </summary>
    public static void GuardValidators(Command command)
    {
        foreach (var option in command.Options)
        {
            for (var i = 0; i < option.Validators.Count; i++)
            {
                var inner = option.Validators[i];
                option.Validators[i] = result => Validate(result, inner);
            }
        }
        foreach (var argument in command.Arguments)
        {
            for (var i = 0; i < argument.Validators.Count; i++)
            {
                var inner = argument.Validators[i];
                argument.Validators[i] = result => Validate(result, inner);
            }
        }
        foreach (var subcommand in command.Subcommands)
        {
            GuardValidators(subcommand);
        }
    }

    /// <summary>Writes every parse error as one line and returns the usage exit code.</summary>
    public static int Report(ParseResult parse, TextWriter error)
    {
        var command = parse.CommandResult.Command;
        var help = command is RootCommand ? "bpftime --help" : $"bpftime {command.Name} --help";
        foreach (var parseError in parse.Errors)
        {
            // Some parser messages list choices on lines of their own; a diagnostic is one line.
            var message = string.Join(' ', Describe(parseError).Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            var diagnostic = new BpfDiagnostic(DiagnosticCodes.ToolBadArgument, $"{message} (see '{help}')");
            error.WriteLine(diagnostic.ToCanonicalString());
        }
        return CommandSupport.UsageOrInput;
    }

    private static void Validate<TResult>(TResult result, Action<TResult> inner) where TResult : SymbolResult
    {
        try
        {
            inner(result);
        }
        catch (InvalidOperationException)
        {
            // The value did not convert. The parser reports that; make sure something is reported.
            if (!result.Errors.Any())
            {
                result.AddError($"'{string.Join(' ', result.Tokens.Select(t => t.Value))}' is not a value this option accepts");
            }
        }
    }

    /// <summary>The parser's message, or for a number that did not convert, what to give instead.</summary>
    private static string Describe(ParseError error)
    {
        var (name, type, tokens, description) = error.SymbolResult switch
        {
            OptionResult option => (option.Option.Name, option.Option.ValueType, option.Tokens, option.Option.Description),
            ArgumentResult { Parent: OptionResult option } argument => (option.Option.Name, argument.Argument.ValueType, argument.Tokens, option.Option.Description),
            ArgumentResult argument => ($"<{argument.Argument.Name}>", argument.Argument.ValueType, argument.Tokens, argument.Argument.Description),
            _ => (null, null, null, null),
        };
        if (name is null || type is null || tokens is null || tokens.Count == 0 || !error.Message.StartsWith("Cannot parse argument", StringComparison.Ordinal))
        {
            return error.Message;
        }
        var given = string.Join(' ', tokens.Select(t => t.Value));
        var kind = (Nullable.GetUnderlyingType(type) ?? type) switch
        {
            var t when t == typeof(int) => string.Create(CultureInfo.InvariantCulture, $"a whole number of at most {int.MaxValue}"),
            var t when t == typeof(long) => string.Create(CultureInfo.InvariantCulture, $"a whole number of at most {long.MaxValue}"),
            var t when t == typeof(bool) => "true or false",
            var t => $"a {t.Name}",
        };
        return string.IsNullOrEmpty(description) ? $"{name} '{given}' is not {kind}" : $"{name} '{given}' is not {kind}; {name} is: {description}";
    }
}
