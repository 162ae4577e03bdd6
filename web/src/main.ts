document.getElementById("app")!.textContent = "billingfoot";
