namespace Webhooks.Abstractions;

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
