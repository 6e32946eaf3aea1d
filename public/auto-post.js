// Submits a SAML hand-off form as soon as the page has loaded, as identity providers and service providers do.
// The prototype call still works if a field is named "submit". Without JavaScript the person presses the button.
{
  const form = document.getElementById("auto-post");
  if (form instanceof HTMLFormElement) HTMLFormElement.prototype.submit.call(form);
}
