"""Name parts for synthetic players (combined at random; combos that are real NBA player names are excluded)."""

from __future__ import annotations

FIRST_NAMES: tuple[str, ...] = tuple(
    """
    Aaron Adam Adrian Aidan Alan Alec Alex Andre Andrew Anthony Antoine Armand Austin Avery Bennett Blake
    Brady Brandon Brendan Brent Brian Bruno Bryce Caleb Calvin Cameron Carlos Carter Casey Cedric Chase
    Christian Clarence Cole Colin Collin Connor Corey Curtis Dalton Damian Damon Daniel Dante Darius Darnell
    Darren David Dean Demetrius Derek Desmond Devin Dominic Donovan Drew Dylan Elijah Elliot Emeka Emmanuel
    Eric Ethan Evan Felix Frank Gabriel Garrett Gavin Grant Graham Hakim Harrison Hector Henry Ian Isaac
    Isaiah Ivan Jace Jalen Jamal Jared Jason Javier Jaylen Jerome Jesse Joel Jonah Jordan Joseph Julian Justin
    Kai Keegan Keith Kendall Kenneth Kevin Kobe Lamar Landon Lars Leon Levi Lionel Logan Lorenzo Lucas Luka
    Malik Marcus Mario Marquis Martin Mason Mateo Matthew Maurice Max Micah Miles Milan Mitchell Nathan Neil
    Nico Nikola Noah Oliver Omar Oscar Owen Patrick Paul Pierre Quentin Rafael Rashad Reggie Ricardo Riley
    Robert Roman Rudy Russell Ryan Samuel Santiago Sean Sergio Simon Spencer Stefan Terrence Theo Thomas
    Tobias Trent Trevor Tristan Tyler Tyrese Victor Vincent Wade Walter Warren Wesley Xavier Zach Zion
    """.split()
)

LAST_NAMES: tuple[str, ...] = tuple(
    """
    Abbott Acosta Adeyemi Akers Alvarez Ambrose Archer Armstrong Ashby Atkins Baker Baldwin Banks Barnett
    Barrett Bates Beckett Bell Benson Bishop Blackwell Blair Boateng Bowen Boyd Bradford Brennan Briggs Brock
    Brooks Burke Burton Byrne Calloway Campbell Carlisle Carver Castillo Chambers Chandler Clayton Coleman
    Cooke Cortez Cross Dalton Daniels Davenport Delgado Dempsey Diallo Dixon Donovan Drake Dunn Easton Ellison
    Emerson Espinoza Everett Farrell Ferguson Fields Fleming Flowers Ford Foster Fowler Francis Frazier Fuller
    Gaines Garner Gibbs Gilmore Glover Goodwin Graves Gregory Hale Hampton Hardin Harmon Hartley Hawkins Hayes
    Haynes Hendricks Herrera Hicks Hines Hodge Holloway Horton Houston Hudson Jacobs Jenkins Jennings Joseph
    Keller Kendrick Kirby Knox Koenig Kowalski Lambert Lane Larsen Lawson Leblanc Lindqvist Lowe Lucas Lyons
    Mack Maddox Manning Marsh Mathis Maxwell McBride McCoy McDaniel McKenzie Medina Mendez Mercer Merritt
    Miles Montgomery Morales Moreno Morrow Moss Mueller Nash Navarro Newton Nolan Norris Novak Nwosu Obi
    Oliver Ortega Osei Owens Pace Palmer Parks Patton Payne Pearson Pena Perkins Petrovic Phelps Porter Pratt
    Preston Price Quinn Ramos Randall Reese Reeves Rhodes Richards Riggs Robbins Rojas Rowe Russo Salazar
    Sanders Santos Savage Sawyer Schmidt Sears Shaw Shelton Sherman Sloan Snyder Soto Sparks Stafford Stanton
    Steele Stone Strickland Sullivan Sutton Tate Terrell Thornton Todd Townsend Tran Tucker Underwood Vance
    Vargas Vaughn Vega Wagner Walsh Ward Warner Watkins Weaver Webb Wells Whitaker Whitfield Wilder Wiley
    Wilkins Winters Wolfe Woodard Wyatt Yates York Young
    """.split()
)

# Combinations of the lists above that are the full_name of a player in nba_api 1.12.0's static list:
# never generated, so a synthetic name never resolves to a real player by name.
REAL_NAME_COLLISIONS: frozenset[str] = frozenset(
    {
        "Aaron Brooks",
        "Aaron Miles",
        "Alan Sawyer",
        "Alex Blackwell",
        "Alex Morales",
        "Alex Reese",
        "Andre Barrett",
        "Andre Owens",
        "Anthony Morrow",
        "Anthony Tucker",
        "Brandon Armstrong",
        "Brandon Goodwin",
        "Brandon Jennings",
        "Brent Price",
        "Brian Oliver",
        "Brian Shaw",
        "Brian Winters",
        "Cameron Oliver",
        "Cameron Payne",
        "Casey Shaw",
        "Cedric Maxwell",
        "Clarence Glover",
        "Corey Gaines",
        "Curtis Rowe",
        "Darius Miles",
        "David Cooke",
        "David Vaughn",
        "Dean Oliver",
        "Desmond Ferguson",
        "Eric Marsh",
        "Frank Kendrick",
        "Henry Ward",
        "Isaiah Hicks",
        "Isaiah Todd",
        "Jared Terrell",
        "Jason Lawson",
        "Jason Preston",
        "Jaylen Wells",
        "Jerome Harmon",
        "Jerome Lane",
        "Jordan Bell",
        "Jordan Ford",
        "Jordan Goodwin",
        "Jordan Hawkins",
        "Jordan Walsh",
        "Julian Reese",
        "Justin Patton",
        "Keith Benson",
        "Keith Jennings",
        "Keith Owens",
        "Kevin Brooks",
        "Kevin Porter",
        "Kobe Sanders",
        "Marcus Banks",
        "Marcus Thornton",
        "Marcus Webb",
        "Marquis Daniels",
        "Maurice Baker",
        "Maurice Lucas",
        "Miles McBride",
        "Miles Norris",
        "Owen Wells",
        "Paul Armstrong",
        "Rashad Vaughn",
        "Robert Hawkins",
        "Russell Cross",
        "Ryan Bowen",
        "Ryan Dunn",
        "Thomas Sanders",
        "Trent Tucker",
        "Tyler Burton",
        "Walter Palmer",
        "Warren Perkins",
        "Xavier McDaniel",
    }
)
