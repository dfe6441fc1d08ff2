namespace Webhooks.Core.Subscriptions;

/// <summary>
/// An app's own rule for subscriptions, checked after the built-in validation on every create and
/// update (from code or HTTP), such as "all events of one resource" or "the resource cannot change".
/// Register with <c>AddSubscriptionRule&lt;T&gt;()</c>. Report problems with
/// <see cref="WebhookSubscriptionRuleContext.AddError"/>; they reach the caller as a
/// <see cref="WebhookValidationException"/> (HTTP 400 with one entry per field).
/// </summary>
public interface IWebhookSubscriptionRule
{
    /// <summary>Checks a subscription about to be stored.</summary>
    /// <param name="context">The owner, the stored state (null on create), the proposed state, and where to add errors.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the check is done.</returns>
    ValueTask ValidateAsync(WebhookSubscriptionRuleContext context, CancellationToken cancellationToken);
}

/// <summary>What a <see cref="IWebhookSubscriptionRule"/> checks.</summary>
public sealed class WebhookSubscriptionRuleContext
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    internal WebhookSubscriptionRuleContext(string? owner, WebhookSubscription? current, WebhookSubscription proposed)
    {
        Owner = owner;
        Current = current;
        Proposed = proposed;
    }

    /// <summary>The owner the change is made for.</summary>
    public string? Owner { get; }

    /// <summary>The stored subscription before an update; <see langword="null"/> on create.</summary>
    public WebhookSubscription? Current { get; }

    /// <summary>The subscription as it would be stored.</summary>
    public WebhookSubscription Proposed { get; }

    /// <summary>Refuses the change, naming the field and what to fix.</summary>
    /// <param name="field">The field (camelCase, as in the HTTP API), such as <c>events</c>.</param>
    /// <param name="message">What to fix.</param>
    public void AddError(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }

        list.Add(message);
    }

    internal void ThrowIfAny()
    {
        if (_errors.Count > 0)
        {
            throw new WebhookValidationException(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));
        }
    }
}
