"""WTForms / Flask-WTF forms. Forms never import models: views hand them their choices."""
