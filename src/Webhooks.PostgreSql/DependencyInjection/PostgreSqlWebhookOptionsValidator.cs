using Microsoft.Extensions.Options;

namespace Webhooks.PostgreSql.DependencyInjection;

/// <summary>Checks the PostgreSQL settings at start-up and reports each bad one with what to fix.</summary>
internal sealed class PostgreSqlWebhookOptionsValidator : IValidateOptions<PostgreSqlWebhookOptions>
{
    public const int MaxSchemaLength = 48;

    public ValidateOptionsResult Validate(string? name, PostgreSqlWebhookOptions o)
    {
        var failures = new List<string>();
        if (SchemaError(o.Schema) is { } schemaError)
        {
            failures.Add(schemaError);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    internal static string? SchemaError(string? schema)
    {
        bool valid = !string.IsNullOrEmpty(schema)
            && schema.Length <= MaxSchemaLength
            && (char.IsAsciiLetter(schema[0]) || schema[0] == '_')
            && schema.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
        return valid ? null : $"Webhooks PostgreSQL Schema '{schema}' is not usable; use letters, digits and underscores, starting with a letter or underscore, at most {MaxSchemaLength} characters (such as 'webhooks').";
    }
}
