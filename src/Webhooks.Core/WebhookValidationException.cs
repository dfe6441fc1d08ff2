namespace Webhooks.Core;

/// <summary>
/// Input failed validation. <see cref="Errors"/> maps each offending field (camelCase, as in the
/// HTTP API) to the messages that say what to fix, ready for a <c>ValidationProblemDetails</c>.
/// </summary>
public sealed class WebhookValidationException : WebhookException
{
    /// <summary>Creates the exception from per-field errors.</summary>
    /// <param name="errors">Field name to messages; at least one entry.</param>
    public WebhookValidationException(IReadOnlyDictionary<string, string[]> errors)
        : base(BuildMessage(errors))
    {
        Errors = errors;
    }

    /// <summary>Creates the exception for a single field.</summary>
    /// <param name="field">The offending field.</param>
    /// <param name="message">What to fix.</param>
    public WebhookValidationException(string field, string message)
        : this(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] })
    {
    }

    /// <summary>Field name to the messages that say what to fix.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    private static string BuildMessage(IReadOnlyDictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return "Webhook validation failed: " + string.Join(" ", errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")));
    }
}
