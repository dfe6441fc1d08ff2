namespace Webhooks.Core;

/// <summary>The base of every error the library raises on purpose; its message says what to fix.</summary>
public class WebhookException : Exception
{
    /// <summary>Creates the exception with a message that says what to fix.</summary>
    /// <param name="message">What went wrong and how to fix it.</param>
    public WebhookException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    /// <param name="message">What went wrong and how to fix it.</param>
    /// <param name="innerException">The underlying error.</param>
    public WebhookException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates the exception with a generic message.</summary>
    public WebhookException() : base("A webhook operation failed.") { }
}

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

/// <summary>An event type is not in the catalog. The message names the type and the known ones.</summary>
public sealed class WebhookUnknownEventTypeException : WebhookException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="eventType">The unknown name.</param>
    /// <param name="knownEventTypes">The names the catalog knows.</param>
    public WebhookUnknownEventTypeException(string eventType, IEnumerable<string> knownEventTypes)
        : base($"Unknown webhook event type '{eventType}'. Register it with AddEventType(...) or use one of: {FormatKnown(knownEventTypes)}.")
    {
        EventType = eventType;
    }

    /// <summary>The unknown event type name.</summary>
    public string EventType { get; }

    internal static string FormatKnown(IEnumerable<string> known)
    {
        var list = known.ToList();
        return list.Count == 0 ? "(none registered)" : string.Join(", ", list);
    }
}

/// <summary>A subscription with the same name already exists for the same owner.</summary>
public sealed class WebhookConflictException : WebhookException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What conflicts and how to resolve it.</param>
    public WebhookConflictException(string message) : base(message) { }
}

/// <summary>
/// An update was based on a stale version of a subscription (optimistic concurrency): read it
/// again and reapply the change.
/// </summary>
public sealed class WebhookConcurrencyException : WebhookException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="subscriptionId">The subscription.</param>
    /// <param name="expectedVersion">The version the caller held.</param>
    /// <param name="actualVersion">The version in the store.</param>
    public WebhookConcurrencyException(string subscriptionId, long expectedVersion, long actualVersion)
        : base($"Subscription '{subscriptionId}' was changed by someone else (you have version {expectedVersion}, the store has {actualVersion}). Read it again and reapply your change.")
    {
        SubscriptionId = subscriptionId;
        ExpectedVersion = expectedVersion;
        ActualVersion = actualVersion;
    }

    /// <summary>The subscription.</summary>
    public string SubscriptionId { get; }

    /// <summary>The version the caller held.</summary>
    public long ExpectedVersion { get; }

    /// <summary>The version in the store.</summary>
    public long ActualVersion { get; }
}

/// <summary>A message's serialized payload is larger than <see cref="WebhookOptions.MaxPayloadBytes"/>.</summary>
public sealed class WebhookPayloadTooLargeException : WebhookException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="eventType">The event type published.</param>
    /// <param name="size">The payload size in bytes.</param>
    /// <param name="limit">The configured limit in bytes.</param>
    public WebhookPayloadTooLargeException(string eventType, long size, long limit)
        : base($"The '{eventType}' payload is {size} bytes, over the {limit}-byte limit (WebhookOptions.MaxPayloadBytes). Send a thinner payload (for example an id the receiver fetches) or raise the limit.")
    {
        Size = size;
        Limit = limit;
    }

    /// <summary>The payload size in bytes.</summary>
    public long Size { get; }

    /// <summary>The configured limit in bytes.</summary>
    public long Limit { get; }
}
